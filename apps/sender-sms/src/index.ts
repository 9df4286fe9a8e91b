export { SenderSmsModule } from './sender-sms.module';
