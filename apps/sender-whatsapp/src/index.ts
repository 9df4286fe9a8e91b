export { SenderWhatsappModule } from './sender-whatsapp.module';
